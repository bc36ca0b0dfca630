"""End-to-end tests of the running app in headless Chromium."""
