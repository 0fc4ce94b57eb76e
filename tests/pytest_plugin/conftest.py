"""pytester runs the plugin in isolated inner sessions."""

pytest_plugins = ["pytester"]
