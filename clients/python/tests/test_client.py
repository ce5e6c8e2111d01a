"""The Python client against a real `bulkhead serve` (test/python-client.test.ts starts it and
passes BULKHEAD_URL). Standard library only: run with `python3 -m unittest`."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bulkhead_client import BulkheadError, Client  # noqa: E402


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bh = Client(os.environ["BULKHEAD_URL"])

    def test_submit_wait_progress(self):
        job_id = self.bh.submit("slow", {"steps": 4, "stepMs": 5})
        seen = []
        job = self.bh.wait(job_id, on_progress=lambda p: seen.append(p.get("fraction")))
        self.assertEqual(job["status"], "completed")
        self.assertEqual(self.bh.result(job_id), "done")
        self.assertEqual(seen[-1], 1)

    def test_progress_iterator(self):
        job_id = self.bh.submit("slow", {"steps": 3, "stepMs": 5})
        messages = [p.get("message") for p in self.bh.progress(job_id)]
        # Progress sent before the stream connected is in the job, not the stream: the tail is certain.
        self.assertEqual(messages[-1:], ["step 3"])
        self.assertEqual(self.bh.get(job_id)["status"], "completed")

    def test_bytes_in_and_out(self):
        data = bytes([0, 1, 2, 250, 255])
        job_id = self.bh.submit("binary", {"op": "identity", "data": data})
        self.bh.wait(job_id)
        self.assertEqual(self.bh.result(job_id), data)
        described = self.bh.submit("binary", {"op": "describe", "data": data})
        self.bh.wait(described)
        self.assertEqual(self.bh.result(described)["length"], 5)

    def test_cancel(self):
        job_id = self.bh.submit("slow", {"steps": 100000, "stepMs": 20})
        started = threading.Event()

        def watch():
            for _ in self.bh.progress(job_id):
                started.set()

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        self.assertTrue(started.wait(120))
        self.assertEqual(self.bh.cancel(job_id)["status"], "cancelled")
        t.join(120)
        self.assertFalse(t.is_alive())

    def test_errors_have_codes(self):
        with self.assertRaises(BulkheadError) as e:
            self.bh.get("00000000-0000-4000-8000-000000000000")
        self.assertEqual((e.exception.code, e.exception.status), ("ERR_JOB_NOT_FOUND", 404))
        with self.assertRaises(BulkheadError) as e:
            self.bh.submit("nope")
        self.assertEqual(e.exception.code, "ERR_UNKNOWN_PLUGIN")
        with self.assertRaises(BulkheadError) as e:
            self.bh.set_config("echo", {"repeat": 0})
        self.assertEqual(e.exception.code, "ERR_CONFIG_INVALID")
        self.assertEqual([i["path"] for i in e.exception.data["issues"]], ["repeat"])
        failed = self.bh.submit("fail", {"message": "from python"})
        self.assertEqual(self.bh.wait(failed)["status"], "failed")
        with self.assertRaises(BulkheadError) as e:
            self.bh.result(failed)
        self.assertEqual(e.exception.code, "ERR_PLUGIN_FAILED")
        with self.assertRaises(BulkheadError) as e:
            Client(self.bh.url).health()
        self.assertEqual(e.exception.code, "ERR_UNAUTHORIZED")

    def test_list_and_search(self):
        job_id = self.bh.submit("fail", {"message": "python-needle"})
        self.bh.wait(job_id)
        found = self.bh.list(q="python-needle")
        self.assertEqual([j["id"] for j in found["jobs"]], [job_id])


if __name__ == "__main__":
    unittest.main()
