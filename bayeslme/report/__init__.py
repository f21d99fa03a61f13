"""Text, HTML and standalone reports built from one table source."""
