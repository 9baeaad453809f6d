"""Session 83: epochs to the stopping test (n_iter_) over 20 seeds, and the training score over
5, scikit-learn's SGD against the estimators (batch_size=1) on its iris, breast cancer and
diabetes datasets, standardized.  Output: ab-session83-epochs.txt."""
import warnings
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler
from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor
warnings.simplefilter("ignore")
for name, load, skc, mbc in (("iris", load_iris, SGDClassifier, MBGDClassifier),
                             ("breast cancer", load_breast_cancer, SGDClassifier, MBGDClassifier),
                             ("diabetes", load_diabetes, SGDRegressor, MBGDRegressor)):
    X, y = load(return_X_y=True); X = StandardScaler().fit_transform(X)
    if name == "diabetes":
        y = (y - y.mean()) / y.std()
    a = [skc(random_state=s).fit(X, y).n_iter_ for s in range(20)]
    b = [mbc(random_state=s, batch_size=1).fit(X, y).n_iter_ for s in range(20)]
    sa = [skc(random_state=s).fit(X, y).score(X, y) for s in range(5)]
    sb = [mbc(random_state=s, batch_size=1).fit(X, y).score(X, y) for s in range(5)]
    print(f"{name}: n_iter_ scikit-learn mean {np.mean(a):.1f} (min {min(a)}, max {max(a)}), "
          f"mbgd_fast mean {np.mean(b):.1f} (min {min(b)}, max {max(b)}); training score "
          f"scikit-learn {np.mean(sa):.3f}, mbgd_fast {np.mean(sb):.3f}")
