"""The embedded Partner Center: a faithful local implementation of its REST API.

A separate system that happens to share the process: portal code reaches it only through the
REST API (in-process or over HTTP), never through these models.
"""
