def test_smoke(world):
    w = world
    sch = w.staff.post("/schedules", {"name": "Piano", "kind": "one_to_one", "teacher_id": w.ids["teacher_id"]})
    print(sch.status, sch.body)
    e = w.staff.post(f"/schedules/{sch.body['id']}/enrollments", {"student_id": w.ids["student_id"], "initial_balance": 10, "responsible_staff_id": w.ids["staff_id"]})
    print(e.status, e.body)
    t = w.staff.post(f"/enrollments/{e.body['id']}/top-ups", {"sessions": 5})
    print(t.status, t.body)
    a = w.staff.post(f"/enrollments/{e.body['id']}/adjustments", {"delta": -2, "reason": "typo"})
    print(a.status, a.body)
    l = w.staff.get(f"/enrollments/{e.body['id']}/ledger")
    print(l.status, l.body)
    assert 0
