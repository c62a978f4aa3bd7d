"""Hub tests: the course on a real JupyterHub on localhost, driven in headless Chromium."""
