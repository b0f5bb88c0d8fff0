# technique: crafted pickle loaded with np.load(allow_pickle=True)
# expected: lint, runtime (pickle.find_class)
open('evil.npy', 'wb').write(b"cos\nsystem\n(S'touch {CANARY_DIR}/pickle'\ntR.")
np.load('evil.npy', allow_pickle=True)
