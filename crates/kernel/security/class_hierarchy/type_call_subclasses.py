# technique: type.__subclasses__(object) via type
# expected: lint, runtime, os
subs = type.__subclasses__(object)
w = [c for c in subs if c.__name__ == '_wrap_close'][0]
w.__init__.__globals__['popen']('touch {CANARY_DIR}/typecall')
