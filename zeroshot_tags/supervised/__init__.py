"""The supervised baseline: labelled photo sets, fine-tuning, cleaning, the SVM on visual words."""
