package agent

// DriveOption changes one drive of a run (Drive, Replay) without changing the Runner.
type DriveOption func(*drive)

// drive is what one drive uses where a drive may differ from the Runner's Config.
type drive struct {
	approver Approver
	models   Models
	prices   Prices
}

// WithApprover has a answer the drive's approval requests (a terminal prompt, a blanket
// answer) instead of the Runner's Approver; nil suspends the run at its first request.
func WithApprover(a Approver) DriveOption {
	return func(d *drive) { d.approver = a }
}

// WithModels gives the drive's model calls their model from m instead of the Runner's
// Models (a replay answers them from a recording).
func WithModels(m Models) DriveOption {
	return func(d *drive) { d.models = m }
}

// WithPrices prices the drive's model calls with p instead of the Runner's Prices; an empty
// p prices them at nothing (a replay spends nothing).
func WithPrices(p Prices) DriveOption {
	return func(d *drive) { d.prices = p }
}

// drive returns the Runner's defaults with opts applied.
func (r *Runner) drive(opts []DriveOption) drive {
	d := drive{approver: r.config.Approver, models: r.config.Models, prices: r.Prices()}
	for _, o := range opts {
		o(&d)
	}
	return d
}
