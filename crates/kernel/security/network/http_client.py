# technique: http.client.HTTPConnection
# expected: lint, runtime, os
import http.client
c = http.client.HTTPConnection('127.0.0.1', {PORT}, timeout=2)
c.request('GET', '/')
print('ESCAPED')
