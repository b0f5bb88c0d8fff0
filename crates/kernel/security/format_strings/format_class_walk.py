# technique: str.format walks __class__.__mro__
# expected: lint, runtime
print('{0.__class__.__mro__[1].__subclasses__}'.format(()))
