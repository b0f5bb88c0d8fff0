# technique: %-format the canary content after reading via alias
# expected: lint, runtime, os
r = open
print('ESCAPED %s' % r('{CANARY}').read())
