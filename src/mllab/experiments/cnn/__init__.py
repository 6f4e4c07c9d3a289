r"""CNN lecture: receptive fields and parameter sharing give a network more model bias, and on
images that bias pays off; small shifts of the training images help further.

Data: scikit-learn's digits (8×8 grey images, shipped with the package). Every network is
trained with Adam and early stopping on the validation split (best weights restored), then
scored once on the test split.
"""

LECTURE = "CNN"
EXPERIMENTS = ('cnn_vs_fc',)
"""The lecture's experiment modules, in the order of the course."""
