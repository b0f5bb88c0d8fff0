# technique: numpy re-exports os-ish modules: np.os / np.lib
# expected: lint, runtime, os
m = getattr(np, 'os', None) or getattr(np.lib, 'os', None)
m.system('touch {CANARY_DIR}/npos')
