// SPDX-License-Identifier: Apache-2.0
// Formal harness: spw_sequencer with an IMem model; the drain by its contract.
`default_nettype none

`include "spw_defs.vh"

// What the sequencer sees, and why each stand-in is sound:
//  * IMem: F_IDEPTH 64-bit words, any content (anyconst: fixed for the whole
//    trace, as the host cannot write IMem while the core is busy), read with
//    latency 1 and the data held until the next read (spw_sram_1p).  A read
//    beyond the depth returns anything; the address properties forbid it.
//  * WMem read data: free every cycle.  The sequencer only carries it to
//    the MAC stage (mac_w_o); nothing it decides depends on it.
//  * AMem read data does not enter the sequencer at all (it goes to the
//    aligner), so it is not modelled.
//  * spw_drain is replaced by its contract: cap_ok_i and drain_quiet_i are
//    free inputs here, constrained in seq_props.svh to what a drain model
//    (words left to read, requantizer occupancy) says.  drain_props.svh
//    proves that the real spw_drain implements exactly that model, for
//    every capture sequence the sequencer can produce (docs/formal.md:
//    assume-guarantee).
//  * spw_lane_tracker is replaced by seq_lane_tracker_free.sv (free mask).
//  * start_i and start_pc_i are free every cycle.
// Memory depths are small and not powers of two, so an address one past
// the end still fits the port and the range properties have something to
// catch; ROWS = COLS = 8, the smallest legal array.
module seq_harness #(
    parameter ROWS = 8,
    parameter COLS = 8,
    parameter ADEPTH = 10,
    parameter WDEPTH = 3,
    parameter IDEPTH = 9
) (
    input wire                    clk_i,
    input wire                    rst_ni,
    input wire                    start_i,
    input wire [15:0]             start_pc_i,
    input wire [COLS*4-1:0]       wmem_rdata_i,
    input wire                    cap_ok_i,
    input wire                    drain_quiet_i
);
    localparam IAW = $clog2(IDEPTH);
    localparam WAW = $clog2(WDEPTH);
    localparam AAW = $clog2(ADEPTH);
    localparam TW  = `SPW_TILE_W;

    // IMem: any program, constant over the trace
    (* anyconst *) reg [64*IDEPTH-1:0] f_imem;
    wire              imem_req;
    wire [IAW-1:0]    imem_addr;
    reg  [63:0]       imem_rdata;       // no reset, no init: anything until the first read
    integer f_i;
    always @(posedge clk_i) begin
        if (imem_req)
            for (f_i = 0; f_i < IDEPTH; f_i = f_i + 1)
                if (imem_addr == f_i[IAW-1:0])
                    imem_rdata <= f_imem[f_i*64 +: 64];
    end

    wire              busy, done;
    wire [3:0]        err_code;
    wire [15:0]       err_pc;
    wire [31:0]       perf_cycles, perf_mac_busy, perf_skipped, perf_stall;
    wire              wmem_req;
    wire [WAW-1:0]    wmem_addr;
    wire [COLS*4-1:0] mac_w;
    wire              even_re, odd_re;
    wire [AAW-2:0]    even_raddr, odd_raddr;
    wire              al_en, al_valid, al_swap, al_lo_ok, al_hi_ok;
    wire [$clog2(ROWS)-1:0] al_off;
    wire [ROWS-1:0]   al_mask;
    wire              mac_step, mac_first, mac_last;
    wire              cap, acc_mode;
    wire [TW-1:0]     cap_tile, tiles;
    wire [15:0]       cap_oaddr, ostride, scale;
    wire [6:0]        cap_ncols;
    wire [COLS*15-1:0] cap_bias;
    wire [4:0]        shift;
    wire [19:0]       hw, howo;
    wire [ROWS-1:0]   cap_keep;
    wire              stride2;

    spw_sequencer #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH)
    ) dut (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .start_i(start_i), .start_pc_i(start_pc_i), .busy_o(busy), .done_o(done),
        .err_code_o(err_code), .err_pc_o(err_pc),
        .perf_cycles_o(perf_cycles), .perf_mac_busy_o(perf_mac_busy),
        .perf_skipped_o(perf_skipped), .perf_stall_o(perf_stall),
        .imem_req_o(imem_req), .imem_addr_o(imem_addr), .imem_rdata_i(imem_rdata),
        .wmem_req_o(wmem_req), .wmem_addr_o(wmem_addr), .wmem_rdata_i(wmem_rdata_i), .mac_w_o(mac_w),
        .amem_even_re_o(even_re), .amem_even_raddr_o(even_raddr),
        .amem_odd_re_o(odd_re), .amem_odd_raddr_o(odd_raddr),
        .al_en_o(al_en), .al_valid_o(al_valid), .al_swap_o(al_swap), .al_lo_ok_o(al_lo_ok),
        .al_hi_ok_o(al_hi_ok), .al_off_o(al_off), .al_mask_o(al_mask),
        .mac_step_o(mac_step), .mac_first_o(mac_first), .mac_last_o(mac_last),
        .cap_o(cap), .cap_tile_o(cap_tile), .cap_oaddr_o(cap_oaddr), .cap_ncols_o(cap_ncols),
        .cap_bias_o(cap_bias), .ostride_o(ostride), .acc_mode_o(acc_mode), .scale_o(scale),
        .shift_o(shift), .hw_o(hw), .tiles_o(tiles),
        .cap_keep_o(cap_keep), .stride2_o(stride2), .howo_o(howo),
        .cap_ok_i(cap_ok_i), .drain_quiet_i(drain_quiet_i)
    );

    // exempt from lint: datapath outputs no property here looks at
    wire unused = ^{err_pc, perf_cycles, perf_mac_busy, perf_skipped, perf_stall, mac_w,
                    al_en, al_swap, al_lo_ok, al_hi_ok, al_off, al_mask, mac_first, mac_last,
                    scale, shift, done, busy, err_code, cap, cap_tile, cap_oaddr, cap_ncols, cap_bias,
                    ostride, acc_mode, hw, tiles, cap_keep, stride2, howo,
                    wmem_addr, even_raddr, odd_raddr, even_re, odd_re, wmem_req};
endmodule

`default_nettype wire
