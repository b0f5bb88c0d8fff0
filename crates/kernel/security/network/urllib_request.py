# technique: urllib.request.urlopen
# expected: lint, runtime, os
import urllib.request
urllib.request.urlopen('http://127.0.0.1:{PORT}/', timeout=2)
print('ESCAPED')
