"""The image's HEALTHCHECK: exit 0 when the web server's /healthz answers 200.

Standard library only (the slim image has no curl). PORT as in docker/gunicorn.conf.py.
"""

import os
import sys
import urllib.error
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except (urllib.error.URLError, OSError) as error:
    sys.stderr.write(f"{url}: {error}\n")
    sys.exit(1)
