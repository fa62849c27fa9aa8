#!/bin/sh
# Rebuilds this folder's data: Engel's food-expenditure data as statsmodels ships it, and the
# incomes the README's `nnreg predict` example reads. Needs statsmodels. The README's output of
# `nnreg fit` and `nnreg predict` on these files, and engel.png, come from docs/regenerate.py.
set -e
cd "$(dirname "$0")"
python -c "from statsmodels.datasets import engel
engel.load_pandas().data[['income', 'foodexp']].to_csv('engel.csv', index=False)"
printf 'income\n500\n1000\n2000\n3000\n' > incomes.csv
