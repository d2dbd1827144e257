"""The sandbox's REST API: Partner Center's `/v1` resources for customer user management."""
