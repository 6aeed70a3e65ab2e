"""Synthetic, non-explicit grooming and look-alike benign conversations."""
