package ops

import (
	"context"
	"time"

	"fengqiao/internal/jobs"
	"fengqiao/internal/store"

	"github.com/prometheus/client_golang/prometheus"
)

// jobsCollector reads the job queue's shape at scrape time.
type jobsCollector struct {
	q    store.Querier
	desc *prometheus.Desc
}

// AddJobs exports fengqiao_jobs{state=ready|scheduled|running|dead|done},
// counted in the database at each scrape (every node reports the shared
// queue, so aggregate with max, not sum).
func (m *Metrics) AddJobs(q store.Querier) {
	m.Registry.MustRegister(&jobsCollector{q: q, desc: prometheus.NewDesc("fengqiao_jobs",
		"Background jobs by state (whole queue, shared by all nodes).", []string{"state"}, nil)})
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	n, err := jobs.Count(ctx, c.q, time.Now().UTC())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range []struct {
		state string
		v     int64
	}{{"ready", n.Ready}, {"scheduled", n.Scheduled}, {"running", n.Running}, {"dead", n.Dead}, {"done", n.Done}} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.v), s.state)
	}
}
