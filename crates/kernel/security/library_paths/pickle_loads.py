# technique: pickle.loads of a reduce payload
# expected: lint, runtime
import pickle
pickle.loads(b"cos\nsystem\n(S'touch {CANARY_DIR}/pickleloads'\ntR.")
