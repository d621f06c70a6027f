-- Who may decide each approval, resolved when it was requested and never read again: the people
-- each approver of the policy stood for then (`{"sources": [{"approver", "members", "unreadable"?}],
-- "resolvedAt"}`). Becoming commander or joining a group later gives no right to decide.
ALTER TABLE approvals ADD COLUMN approvers jsonb;

-- Approvals requested before sets were frozen keep the people their playbook named by user id;
-- what was read at the click until now (groups, the commander, who is on call) gives nobody a right
-- to decide them any more, and their messages say so.
UPDATE approvals a SET approvers = jsonb_build_object(
  'resolvedAt', to_char(a.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'sources', COALESCE((
    SELECT jsonb_agg(CASE
             WHEN v.approver ~ '^[UW][A-Z0-9]{2,}$'
               THEN jsonb_build_object('approver', v.approver, 'members', jsonb_build_array(v.approver))
             ELSE jsonb_build_object('approver', v.approver, 'members', '[]'::jsonb,
                                     'unreadable', 'requested before firebreak froze approver sets')
           END ORDER BY v.ord)
      FROM jsonb_array_elements_text(a.policy->'approvers') WITH ORDINALITY AS v(approver, ord)), '[]'::jsonb));

ALTER TABLE approvals ALTER COLUMN approvers SET NOT NULL;
