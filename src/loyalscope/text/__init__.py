"""Free texts customers write (complaints, survey comments, feedback, reviews): tokens and the
themes that separate groups of customers (:mod:`loyalscope.text.themes`)."""
