#!/usr/bin/env python
"""Django's command-line utility for Partner Portal."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads the settings now)
    except ImproperlyConfigured as refusal:
        # A refused configuration is one line naming the variable, not a traceback.
        sys.exit(f"Partner Portal cannot start: {refusal}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
