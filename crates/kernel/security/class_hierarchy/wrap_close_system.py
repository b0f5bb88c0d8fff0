# technique: object.__subclasses__() -> os._wrap_close -> system
# expected: lint, runtime, os
for c in ().__class__.__base__.__subclasses__():
    if c.__name__ == '_wrap_close':
        c.__init__.__globals__['system']('touch {CANARY_DIR}/wrap')
