from django.dispatch import Signal

# Sent inside the transaction that added status records, with `iins` (the
# people whose history grew) and `now` (the moment they were written). Apps
# that build on statuses react to a changed status here (visits flags people
# inside a venue whose status now keeps them out) without statuses importing them.
status_records_added = Signal()
