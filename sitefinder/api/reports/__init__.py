"""What a municipality hands on (issue 12): the printable site report (``report``, with its
location map ``locationmap`` and charts ``charts``) and the self-contained shortlist map
(``shortlist_map``)."""
