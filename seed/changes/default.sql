-- The changes `npm run local` applies after the full load, one of each kind the merge must get right. Valid against
-- the committed seed's keys and foreign keys. Run statement by statement; `--changes FILE` replaces this file.

-- An insert: a new plan (a `;` and a quote inside a string are data, not the end of a statement).
INSERT INTO insurance (insid, plan) VALUES ('INS6', 'Kaiser Bronze; O''Neil''s plan');

-- An update.
UPDATE employee SET title = 'admin' WHERE employee_id = 'E0025';

-- A delete (nothing refers to an appointment).
DELETE FROM appointment WHERE appId = 'APPO100';

-- Two updates of one row in one transaction: the later one wins.
START TRANSACTION;
UPDATE account SET account_balance = account_balance - 905.47, last_payment = '2026-11-02' WHERE accountId = 'ACC0001';
UPDATE account SET account_balance = 0.00, payment_due = '2026-12-31' WHERE accountId = 'ACC0001';
COMMIT;

-- A delete, then a re-insert of the same key with other values.
DELETE FROM encounter WHERE encounter_id = 'ENC12';
INSERT INTO encounter (encounter_id, patient, start_time, status) VALUES ('ENC12', 'PER311', '12:30:00', 'completed');

-- A change of a foreign key: a patient moves to the plan inserted above.
UPDATE patient SET insurance = 'INS6' WHERE person_id = 'PER7';

-- An insert of a patient of that plan, with text that must survive the change log intact: an apostrophe, double
-- quotes and a name outside ASCII.
INSERT INTO patient (person_id, first_name, last_name, email, dob, address, zip, insurance)
VALUES ('PER501', 'Aoibhín', 'O''Brien', 'aoibhin.obrien@example.org', '1988-03-14', '12 "Harbour View" Street', '02134', 'INS6');

/* A rolled-back transaction: none of it reaches the change log or the lake. */
START TRANSACTION;
INSERT INTO patient (person_id, first_name, last_name, email, dob, address, zip, insurance)
VALUES ('PER502', 'Never', 'Committed', 'never.committed@example.com', '1990-01-01', '1 Nowhere Road', '00001', 'INS1');
UPDATE account SET account_balance = 999.99 WHERE accountId = 'ACC0002';
DELETE FROM appointment WHERE appId = 'APPO1';
ROLLBACK;

-- A row the platform writes itself, as each release's smoke run does: the probe table, with a date-time.
INSERT INTO smoke_probe (probe_id, written_at, note) VALUES ('4b0d8d0a-3c0e-4f6e-9a51-0c2f4f1b7e10', '2026-11-30 10:15:00', 'release smoke run');
