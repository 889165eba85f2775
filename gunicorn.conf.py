"""gunicorn settings read whenever gunicorn starts in this directory (`gunicorn wsgi:app`).

The access log leaves out query strings: Kannel's inbound URL carries the sender's number
and the message (?sender=…&text=…), and logs must never hold a full phone number.
"""

# remote address, method, path without the query, status, bytes, seconds
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'
