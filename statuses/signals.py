from django.dispatch import Signal

# People's statuses may have changed: records were added for them, or a record
# of theirs began or ended as time passed. Sent with `iins` (those people) and
# `now` (the moment to judge them at); where records were added, inside the
# transaction that added them. Apps that build on statuses react here (visits
# flags people inside a venue whose status now keeps them out) without
# statuses importing them.
statuses_changed = Signal()
