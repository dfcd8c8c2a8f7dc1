"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from lims import create_app

app = create_app()

# Behind nginx (or a load balancer) set LIMS_PROXY_COUNT to the number of proxies in front:
# their X-Forwarded-For/-Proto/-Host are then trusted, so links, QR codes and secure cookies
# use https and the audit sees the client's address.  0 (default): no header is trusted.
_proxies = int(os.environ.get("LIMS_PROXY_COUNT", "0") or 0)
if _proxies > 0:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies,
                            x_port=_proxies)
