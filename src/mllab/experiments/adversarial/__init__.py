r"""Lecture "Adversarial attack" (homework 10): small perturbations that fool a network, white
box (FGSM, iterative FGSM / PGD, L-infinity and L2, untargeted and targeted) and black box
(transferred from proxies and their ensemble).

Data: scikit-learn's digits, pixels scaled to [0, 1].
"""

LECTURE = "Adversarial attack"
EXPERIMENTS: tuple[str, ...] = ("adversarial_attack", "black_box_transfer", "attack_defence")
"""The lecture's experiment modules, in the order of the course."""
