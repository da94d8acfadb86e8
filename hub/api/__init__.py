"""The main REST API (``/api``): products, versions, uploads, tokens, integration."""
