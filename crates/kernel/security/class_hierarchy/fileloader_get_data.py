# technique: subclasses -> FileLoader.get_data reads any file
# expected: lint, runtime, os
L = [c for c in object.__subclasses__() if c.__name__ == 'FileLoader'][0]
print('ESCAPED', L('x', '{CANARY}').get_data('{CANARY}'))
