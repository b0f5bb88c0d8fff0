# technique: socket module fetched from sys.modules
# expected: lint, runtime, os
import sys
s = sys.modules.get('socket') or __import__('socket')
s.create_connection(('127.0.0.1', {PORT}), timeout=2)
print('ESCAPED')
