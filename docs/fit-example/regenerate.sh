#!/bin/sh
# Rebuilds this folder: Engel's food-expenditure data as statsmodels ships it, the README's
# `nnreg fit` and `nnreg predict` runs, their printed output and the plot.
# Needs nnreg installed and, for the data export only, statsmodels.
set -e
cd "$(dirname "$0")"
python -c "from statsmodels.datasets import engel
engel.load_pandas().data[['income', 'foodexp']].to_csv('engel.csv', index=False)"
printf 'income\n500\n1000\n2000\n3000\n' > incomes.csv
{
    echo '$ nnreg fit engel.csv --x income --y foodexp --out engel.npz --plot engel.png'
    nnreg fit engel.csv --x income --y foodexp --out engel.npz --plot engel.png
    echo
    echo '$ nnreg predict engel.npz incomes.csv'
    nnreg predict engel.npz incomes.csv
} > output.txt
rm engel.npz
