# technique: plt.imread on the canary
# expected: runtime, os
print('ESCAPED', plt.imread('{CANARY}'))
