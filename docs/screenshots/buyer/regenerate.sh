#!/bin/sh
# Rewrites the buyer pages' screenshots in this folder (390 and 1280 px wide):
# the browser test of every buyer page and email (tests/test_buyer_pages_browser.py)
# takes them while it checks each page. Needs Debian's chromium. Run from anywhere.
set -e
cd "$(dirname "$0")/../../.."
HUB_BUYER_SCREENSHOTS=docs/screenshots/buyer python -m pytest tests/test_buyer_pages_browser.py -q -n0 -p no:cacheprovider -k "390 or 1280"
