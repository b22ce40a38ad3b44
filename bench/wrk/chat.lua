-- wrk script for POST /agents/:id/chat (the ceiling of the chat workload).
wrk.method = "POST"
wrk.body = '{"message":"How do I reset my password?"}'
wrk.headers["Content-Type"] = "application/json"
