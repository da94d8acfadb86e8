"""What buyers see: download pages and the file downloads themselves."""
