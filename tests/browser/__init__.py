"""Browser tests of the dashboards: JupyterLab and Notebook 7 in headless Chromium."""
