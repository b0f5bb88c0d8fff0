# technique: linecache reads any file as source lines (swallows errors, so check the content)
# expected: lint, runtime, os
import linecache
lines = linecache.getlines('{CANARY}')
if lines:
    print('ESCAPED', lines)
