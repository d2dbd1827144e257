"""The Partner Center connection page: who the portal signs in to Partner Center as, and Connect."""
