# technique: add a second audit hook / clear hooks
# expected: lint, runtime
import sys
sys.addaudithook(lambda *a: None)
print('ESCAPED', open('{CANARY}').read())
