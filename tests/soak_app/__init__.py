"""The soak test's app, wrk script and driver (see ``driver.py``)."""
