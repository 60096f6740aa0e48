"""Flask's tutorial app, Flaskr, and the tutorial's own tests, run on Flask and on Kolba.

The app in ``flaskr/`` is written for Flask. :mod:`.loader` imports it as a fresh package per
test, either as written or with its imports migrated to Kolba, and every test here runs on
both builds.
"""
