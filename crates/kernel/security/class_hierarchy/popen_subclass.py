# technique: object.__subclasses__() -> subprocess.Popen
# expected: lint, runtime, os
P = [c for c in object.__subclasses__() if c.__name__ == 'Popen'][0]
P(['touch', '{CANARY_DIR}/popen']).wait()
