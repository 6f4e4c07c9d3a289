r"""Image generation lecture: the four families (VAE, flow, diffusion, GAN); DDPM's training
(noise added in one step) and sampling algorithms; (later) the families side by side and the
number of denoising steps.

Data: seeded synthetic 2-D mixtures (named so); (later) scikit-learn's digits.
"""

LECTURE = "Image generation"
EXPERIMENTS: tuple[str, ...] = ("diffusion_training_one_shot", "diffusion_steps")
"""The lecture's experiment modules, in the order of the course."""
