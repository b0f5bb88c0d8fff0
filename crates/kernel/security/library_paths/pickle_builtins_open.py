# technique: pickle payload calling builtins.open
# expected: lint, runtime
import pickle
d = pickle.loads(b"cbuiltins\nopen\n(S'{CANARY}'\ntR.")
print('ESCAPED', d.read())
