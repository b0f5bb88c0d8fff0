# technique: subclasses -> BuiltinImporter loads posix
# expected: lint, runtime, os
B = [c for c in object.__subclasses__() if c.__name__ == 'BuiltinImporter'][0]
posix = B.load_module('posix')
posix.system('touch {CANARY_DIR}/builtinimporter')
