"""The default pghistory trackers, safe to deep-copy.

pghistory deep-copies `PGHISTORY_DEFAULT_TRACKERS` for every tracked model. A deep copy also copies the
tracker's `pgtrigger.Insert`/`Update`/`Delete` operation objects, which pgtrigger compares by identity when it
decides the transition tables of a statement-level trigger — so copied trackers lose their `REFERENCING` clause.
A fresh instance per copy keeps the module-level operation objects.
"""

import pghistory


class _FreshCopy:
    def __deepcopy__(self, memo):
        return type(self)()


class InsertEvent(_FreshCopy, pghistory.InsertEvent):
    pass


class UpdateEvent(_FreshCopy, pghistory.UpdateEvent):
    pass


class DeleteEvent(_FreshCopy, pghistory.DeleteEvent):
    pass
